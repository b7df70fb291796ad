from django.urls import URLPattern, URLResolver

app_name = "pipelines"

urlpatterns: list[URLPattern | URLResolver] = []
