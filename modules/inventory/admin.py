from django.contrib import admin

from modules.inventory.models import Product, Reservation


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("sku", "name", "unit_price", "on_hand", "reserved")
    search_fields = ("sku", "name")


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("order_id", "status", "reason", "created_at")
    list_filter = ("status",)
