from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import audit
from core import favicon
from core import views as core_views
from orders import home

# Each app keeps its screens in `<app>/urls.py` (namespaced) and its API in `<app>/urls_api.py`.
DESK_APPS = ["customers", "catalog", "pricing", "orders", "fulfillment", "returns", "auctions"]

api_v1 = [
    path("me/", core_views.api_me, name="api-me"),
    path("auth/token/", core_views.api_token, name="api-token"),
]
for app in DESK_APPS:
    api_v1.append(path("", include(f"{app}.urls_api")))

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", core_views.healthz, name="healthz"),
    path("security/", core_views.security, name="security"),
    path("security/unlock/", core_views.unlock, name="security-unlock"),
    path("security/sessions/end/", core_views.end_session, name="security-end-session"),
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("audit/", audit.audit, name="audit"),
    *(path(f"{app}/", include(f"{app}.urls")) for app in DESK_APPS),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # DRF views opt out of the login middleware; the docs page should send people to log in.
    # The split view serves Swagger UI's start-up script as a file: the CSP allows no inline one.
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
