"""Cookies the site sets carry Secure (in production), SameSite and HttpOnly."""

import pytest

pytestmark = pytest.mark.django_db


def test_language_cookie_is_secure_samesite_and_httponly(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    cookie = response.cookies["django_language"]
    assert cookie.value == "en"
    assert cookie["secure"], "django_language is sent over plain HTTP"
    assert cookie["samesite"] == "Lax", f"SameSite={cookie['samesite']!r}"
    assert cookie["httponly"], "django_language is readable from JavaScript"


def test_session_and_csrf_cookies_are_secure_and_samesite(client, django_user_model):
    from django.conf import settings

    page = client.get("/alertes/")
    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    django_user_model.objects.create_user("c", "c@example.org", "pw", is_staff=True)
    login = client.post("/admin/login/", {"username": "c", "password": "pw", "next": "/admin/"})
    assert login.status_code == 302, "staff sign-in failed"
    session = login.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
