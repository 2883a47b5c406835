"""Role matrix for "Fenêtre sur…": anonymous, listing owner, contributor, editor, moderator, admin."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from directory.models import Article, ArticleStatus
from directory.roles import CONTRIBUTORS, EDITORS, MODERATORS

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "owner", "contributor", "editor", "moderator", "admin"]


@pytest.fixture
def people(django_user_model):
    make = django_user_model.objects.create_user

    def staff(name, group):
        user = make(name, f"{name}@example.org", "pw", is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        return user

    return {
        "anonymous": None,
        "owner": make("owner@example.org", "owner@example.org"),
        "contributor": staff("partenaire", CONTRIBUTORS),
        "other_contributor": staff("autre", CONTRIBUTORS),
        "editor": staff("redactrice", EDITORS),
        "moderator": staff("moderatrice", MODERATORS),
        "admin": django_user_model.objects.create_superuser("root", "root@example.org", "pw"),
    }


def login(client, people, role):
    client.logout()
    if people[role]:
        client.force_login(people[role])
    return client


def form_data(**overrides):
    data = {
        "title": "Portrait",
        "slug": "portrait",
        "kind": "portrait",
        "lead": "Chapô.",
        "body": "Texte.",
        "status": "draft",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


@pytest.fixture
def drafts(people):
    own = Article.objects.create(
        title="Brouillon du partenaire", slug="du-partenaire", kind="news", lead="l", body="b",
        author=people["contributor"],
    )  # fmt: skip
    other = Article.objects.create(
        title="Brouillon d'un autre", slug="d-un-autre", kind="news", lead="l", body="b",
        author=people["other_contributor"],
    )  # fmt: skip
    return own, other


# Expected outcome per role: can they create an article, publish one, edit their own draft,
# edit someone else's draft, use the live preview?
EXPECTED = {
    "anonymous": {
        "create": False,
        "publish": False,
        "edit_own": False,
        "edit_other": False,
        "preview": False,
    },
    "owner": {
        "create": False,
        "publish": False,
        "edit_own": False,
        "edit_other": False,
        "preview": False,
    },
    "contributor": {
        "create": True,
        "publish": False,
        "edit_own": True,
        "edit_other": False,
        "preview": True,
    },
    "editor": {
        "create": True,
        "publish": True,
        "edit_own": True,
        "edit_other": True,
        "preview": True,
    },
    "moderator": {
        "create": False,
        "publish": False,
        "edit_own": False,
        "edit_other": False,
        "preview": False,
    },
    "admin": {
        "create": True,
        "publish": True,
        "edit_own": True,
        "edit_other": True,
        "preview": True,
    },
}


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client, people, drafts, role):
    own, other = drafts
    expected = EXPECTED[role]
    login(client, people, role)

    # Create a draft
    client.post(reverse("admin:directory_article_add"), form_data(slug=f"new-{role}"))
    assert Article.objects.filter(slug=f"new-{role}").exists() == expected["create"]

    # Publish (a crafted POST with status=published)
    client.post(
        reverse("admin:directory_article_add"),
        form_data(slug=f"pub-{role}", status="published"),
    )
    published = Article.objects.filter(slug=f"pub-{role}", status=ArticleStatus.PUBLISHED)
    assert published.exists() == expected["publish"]

    # Edit the contributor's own draft, then another contributor's
    for article, key in ((own, "edit_own"), (other, "edit_other")):
        client.post(
            reverse("admin:directory_article_change", args=[article.pk]),
            form_data(title=f"Modifié par {role}", slug=article.slug),
        )
        article.refresh_from_db()
        assert (article.title == f"Modifié par {role}") == (
            expected[key] and (role != "contributor" or article == own)
        ), (role, key)

    # Live Markdown preview
    response = client.post(reverse("directory:article-preview"), {"body": "**gras**"})
    assert (response.status_code == 200 and b"<strong>gras</strong>" in response.content) == (
        expected["preview"]
    )


def test_contributor_cannot_change_an_article_once_published(client, people, drafts):
    own, _ = drafts
    own.status, own.publish_at = (
        ArticleStatus.PUBLISHED,
        datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    own.save()
    login(client, people, "contributor")
    url = reverse("admin:directory_article_change", args=[own.pk])
    client.post(url, form_data(title="Changé après publication", slug=own.slug))
    own.refresh_from_db()
    assert own.title == "Brouillon du partenaire"
    assert client.post(reverse("admin:directory_article_delete", args=[own.pk]), {"post": "yes"})
    assert Article.objects.filter(pk=own.pk).exists()


def test_contributor_sees_only_their_own_articles(client, people, drafts):
    own, other = drafts
    login(client, people, "contributor")
    listing = client.get(reverse("admin:directory_article_changelist")).content.decode()
    assert own.title in listing and "autre" not in listing
    # Previews without the private link: their own yes, someone else's no.
    assert client.get(own.get_absolute_url()).status_code == 200
    assert client.get(other.get_absolute_url()).status_code == 404
    login(client, people, "editor")
    assert client.get(other.get_absolute_url()).status_code == 200


def test_contributor_submits_for_review_and_the_author_is_recorded(client, people):
    login(client, people, "contributor")
    client.post(reverse("admin:directory_article_add"), form_data(slug="a-relire", status="review"))
    article = Article.objects.get(slug="a-relire")
    assert article.status == ArticleStatus.REVIEW and article.author == people["contributor"]
    assert article.history.first().history_user == people["contributor"]


def test_editors_get_only_editorial_permissions(people):
    editor = people["editor"]
    assert editor.has_perm("directory.publish_article")
    assert not editor.has_perm("directory.change_actor")
    assert not editor.has_perm("directory.view_actor")  # no private contacts
    assert not editor.has_perm("directory.moderate_actor")
    contributor = people["contributor"]
    assert contributor.has_perm("directory.add_article")
    assert not contributor.has_perm("directory.publish_article")
    assert not people["moderator"].has_perm("directory.add_article")


def test_a_crafted_linked_listing_id_is_a_form_error_not_a_crash(client, people):
    login(client, people, "editor")
    response = client.post(
        reverse("admin:directory_article_add"), {**form_data(slug="x"), "actors": ["abc", "99999"]}
    )
    assert response.status_code == 200  # the form again, with its error
    assert "errorlist" in response.content.decode()
    assert not Article.objects.filter(slug="x").exists()
