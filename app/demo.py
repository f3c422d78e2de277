"""The platform's own demo data: users to log in with (`make run` prints them in the README)."""

from django.contrib.auth import get_user_model

DEMO_USERS = (
    ("demo", "demo@example.com", "demo-pass-123", False),
    ("staff", "staff@example.com", "staff-pass-123", True),
)


def load() -> int:
    users = get_user_model()
    created = 0
    for username, email, password, is_staff in DEMO_USERS:
        if not users.objects.filter(username=username).exists():
            users.objects.create_user(username=username, email=email, password=password, is_staff=is_staff)
            created += 1
    return created
