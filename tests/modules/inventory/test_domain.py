from modules.inventory.domain import merge_quantities, shortages


def test_lines_for_the_same_sku_are_summed() -> None:
    assert merge_quantities([("A", 1), ("B", 2), ("A", 3)]) == {"A": 4, "B": 2}


def test_shortages_lists_skus_that_cannot_be_met_in_full_sorted() -> None:
    wanted = {"B": 5, "A": 1, "C": 1}
    assert shortages(wanted=wanted, available={"A": 1, "B": 4}) == ("B", "C")


def test_no_shortage_when_exactly_enough() -> None:
    assert shortages(wanted={"A": 2}, available={"A": 2}) == ()
