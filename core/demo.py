"""Demo staff: one user per role, all with settings.DEMO_PASSWORD."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.app_data import DemoData
from core.roles import Role

DEMO_STAFF = [
    # username, first name, last name, role, is_staff (Django admin access)
    ("csr", "Casey", "Rivera", Role.CSR, False),
    ("supervisor", "Sam", "Okafor", Role.SUPERVISOR, False),
    ("storeadmin", "Alex", "Meyer", Role.STORE_ADMIN, True),
    ("ops", "Olu", "Park", Role.OPERATIONS, False),
]


def load(log) -> None:
    user_model = get_user_model()
    for username, first, last, role, is_staff in DEMO_STAFF:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_staff": is_staff,
                "email": f"{username}@example.com",
            },
        )
        if created:
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role.value))
        log(f"  {'created' if created else 'kept'} {username:<11} ({role.value})")


DEMO = DemoData(load=load)
