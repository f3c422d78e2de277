from django.contrib import admin

from modules.orders.models import Order, OrderLine, OrderSaga, SagaStep


class OrderLineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "customer_email", "status", "total", "created_at")
    list_filter = ("status",)
    inlines = [OrderLineInline]


class SagaStepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SagaStep
    extra = 0
    readonly_fields = ("name", "status", "detail", "attempts", "started_at", "finished_at")


@admin.register(OrderSaga)
class OrderSagaAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Operators find stuck sagas here (state NEEDS_ATTENTION) and retry them through the API."""

    list_display = ("order_id", "state", "step", "resends", "deadline_at", "updated_at")
    list_filter = ("state", "step")
    inlines = [SagaStepInline]
