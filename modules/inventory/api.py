from django.http import HttpRequest
from ninja import Router

from modules.inventory import selectors
from modules.inventory.models import Product
from modules.inventory.schemas import ProductOut

router = Router(tags=["inventory"])


@router.get("/products", response=list[ProductOut], auth=None, summary="List products with available stock (public)")
def products_list(request: HttpRequest) -> list[Product]:
    return list(selectors.product_list())
