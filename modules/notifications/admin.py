from django.contrib import admin

from modules.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("recipient", "subject", "sent_at")
    search_fields = ("recipient", "subject")
