from django.conf import settings


def branding(request):
    return {"branding": settings.BRANDING, "demo_mode": settings.DEMO_MODE}
