"""Test settings: production settings (DEBUG off, secure cookies…) with plain-HTTP test servers."""

from config.settings import *  # noqa: F403

# The test client and the live server speak plain HTTP.
SECURE_SSL_REDIRECT = False
# Hashing passwords slowly is a production feature, not something to test 200 times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
