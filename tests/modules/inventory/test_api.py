import pytest

pytestmark = pytest.mark.django_db(databases=["inventory"])


def test_products_list_shows_decimals_as_strings_and_available_stock(client, keyboard, mouse) -> None:
    response = client.get("/api/inventory/products")
    assert response.status_code == 200
    assert response.json() == [
        {"sku": "KB", "name": "Keyboard", "unit_price": "10.00", "available": 5},
        {"sku": "MS", "name": "Mouse", "unit_price": "2.50", "available": 1},
    ]
