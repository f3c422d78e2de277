from django.contrib import admin

from modules.payments.models import Payment


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "order_id",
        "amount",
        "currency",
        "status",
        "operation",
        "attempts",
        "next_attempt_at",
        "provider_reference",
        "updated_at",
    )
    list_filter = ("status", "operation")
    search_fields = ("order_id", "provider_reference")
    readonly_fields = ("lease_id", "lease_until", "provider_contacted", "created_at", "updated_at")
