"""The API's URLs, included by the root URLconf by name (the kernel imports no app)."""

from .v1 import urlpatterns as v1_urlpatterns

urlpatterns, app_name, _namespace = v1_urlpatterns()
