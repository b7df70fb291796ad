from django.urls import URLPattern, URLResolver

app_name = "infra"

urlpatterns: list[URLPattern | URLResolver] = []
