from django.conf import settings

from .legal import ACCESSIBILITY_STATUS


def branding(request):
    return {
        "branding": settings.BRANDING,
        "demo_mode": settings.DEMO_MODE,
        "accessibility_status": ACCESSIBILITY_STATUS,
    }
