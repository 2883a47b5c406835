"""One client is one client for every rate limit, whatever address it writes from.

An IPv6 client is given a whole /64 (often more) and picks its source address in it at
will: counted per address, it gets a fresh allowance with every request. It is counted per
network (RATE_LIMIT_IPV6_PREFIX, /64 by default), an IPv4 address written as IPv6
(``::ffff:192.0.2.1``) is that IPv4 address, and every spelling of one address is one
client. An address that cannot be read is one shared bucket, never "no limit".
"""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from directory import ratelimit
from directory.models import Actor
from tests.directory.test_registration import identity

pytestmark = pytest.mark.django_db

LIMIT = 5
ONE_NETWORK = [f"2001:db8:1:2::{n + 100:x}" for n in range(LIMIT + 5)]


@pytest.fixture
def small_limits(settings):
    settings.TOUTPRES_RATE_LIMITS = {"PER_IP_PER_HOUR": LIMIT, "PER_EMAIL_PER_HOUR": 1000}
    settings.TOUTPRES_API_RATE = f"{LIMIT}/hour"
    settings.TOUTPRES_SITE_RATE = f"{LIMIT}/hour"
    settings.TOUTPRES_GEOCODER = {**settings.TOUTPRES_GEOCODER, "BACKEND": "offline"}


def alert(client, address, n):
    data = {"email": f"abonne{n}@example.org", "place": "Blois", "radius_km": "20"}
    return client.post("/alertes/", {**data, "consent": "on"}, REMOTE_ADDR=address)


def refused(response) -> bool:
    return response.status_code == 429 or "Trop de demandes" in response.content.decode()


def test_rotating_addresses_in_one_network_hits_the_alert_limit(client, small_limits, territories):
    answers = [refused(alert(client, address, n)) for n, address in enumerate(ONE_NETWORK)]
    assert answers.count(False) == LIMIT, (
        f"{answers.count(False)} alert requests passed a limit of {LIMIT} from addresses of "
        "one /64: each new IPv6 address got a fresh allowance"
    )


def test_rotating_addresses_in_one_network_hits_the_registration_limit(client, small_limits):
    for n, address in enumerate(ONE_NETWORK):
        client.post(
            reverse("directory:register"),
            identity(name=f"Ferme {n}", email=f"f{n}@example.org"),
            REMOTE_ADDR=address,
        )
    assert Actor.objects.count() == LIMIT, (
        f"{Actor.objects.count()} registrations passed a limit of {LIMIT} from one /64"
    )


def test_rotating_addresses_in_one_network_hits_the_api_and_site_quotas(
    client, small_limits, territories
):
    for path in ("/api/v1/kinds/", "/api/v1/layer/"):
        codes = [
            client.get(path, {"bbox": "1.2,47.5,1.5,47.7", "zoom": "12"}, REMOTE_ADDR=a).status_code
            for a in ONE_NETWORK
        ]
        assert codes.count(200) == LIMIT, (
            f"{path}: {codes.count(200)} requests passed {LIMIT}/hour from one /64"
        )


def test_distinct_networks_are_distinct_clients(client, small_limits, territories):
    for _ in range(LIMIT):
        assert client.get("/api/v1/kinds/", REMOTE_ADDR="2001:db8:1:2::1").status_code == 200
    assert client.get("/api/v1/kinds/", REMOTE_ADDR="2001:db8:1:2::2").status_code == 429
    neighbour = client.get("/api/v1/kinds/", REMOTE_ADDR="2001:db8:1:3::1")
    assert neighbour.status_code == 200, "the next /64 (another household) shared the quota"


def key(remote, **extra):
    return ratelimit.client_key(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_spellings_of_one_address_are_one_client():
    spellings = [
        "2001:db8:1:2::1",
        "2001:DB8:1:2::1",
        "2001:0db8:0001:0002:0000:0000:0000:0001",
        "2001:db8:1:2:0:0:0:1",
        " 2001:db8:1:2::1 ",
        "[2001:db8:1:2::1]",
        "2001:db8:1:2::1%eth0",
        "[2001:db8:1:2::1%25eth0]",
        "2001:db8:1:2:ffff:ffff:ffff:ffff",  # elsewhere in the same /64
    ]
    keys = {spelling: key(spelling) for spelling in spellings}
    assert len(set(keys.values())) == 1, f"one client, several identities: {keys}"
    ipv4 = ["192.0.2.1", "::ffff:192.0.2.1", "::FFFF:c000:201", "[::ffff:192.0.2.1]"]
    keys = {spelling: key(spelling) for spelling in ipv4}
    assert set(keys.values()) == {"192.0.2.1"}, f"an IPv4 client written as IPv6: {keys}"
    assert key("192.0.2.1") != key("192.0.2.2"), "IPv4 addresses are each their own client"


def test_the_network_size_is_a_setting(settings):
    settings.TOUTPRES_RATE_LIMIT_IPV6_PREFIX = 56
    assert key("2001:db8:1:2::1") == key("2001:db8:1:ff::1")
    assert key("2001:db8:1:2::1") != key("2001:db8:1:100::1")
    settings.TOUTPRES_RATE_LIMIT_IPV6_PREFIX = 128
    assert key("2001:db8:1:2::1") != key("2001:db8:1:2::2")


BAD = ["", "garbage", "999.1.1.1", "::ffff:zzz", "[", "]", "%", "1.2.3.4%eth0", "\x00", "a" * 5000]


def test_unreadable_addresses_never_crash_and_share_one_limited_bucket(
    client, small_limits, settings
):
    keys = {bad: key(bad) for bad in BAD}
    assert len(set(keys.values())) == 1, f"unreadable addresses are distinct clients: {keys}"
    settings.TOUTPRES_BEHIND_PROXY = True
    settings.TOUTPRES_TRUSTED_PROXIES = ["127.0.0.1"]
    for bad in BAD:
        key("127.0.0.1", HTTP_X_FORWARDED_FOR=bad)  # no exception
    codes = [client.get("/api/v1/kinds/", REMOTE_ADDR=bad).status_code for bad in BAD]
    assert 500 not in codes and codes.count(200) == LIMIT, (
        f"unreadable addresses: {codes} (each one should not get its own allowance)"
    )


def test_behind_the_proxy_forwarded_ipv6_clients_count_per_network(client, small_limits, settings):
    settings.TOUTPRES_BEHIND_PROXY = True
    settings.TOUTPRES_TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    codes = [
        client.get(
            "/api/v1/kinds/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
        ).status_code
        for n, a in enumerate(ONE_NETWORK)
        for forwarded in [a if n % 2 else f"[{a}]:443"]
    ]
    assert codes.count(200) == LIMIT, f"forwarded IPv6 clients of one /64: {codes}"
