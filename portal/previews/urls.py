from django.urls import URLPattern, URLResolver

app_name = "previews"

urlpatterns: list[URLPattern | URLResolver] = []
