"""A partner list imported from the staff pages in a real browser: upload, columns, the
analysis and the import advancing by themselves with a progress bar, then the report."""

import pytest

from directory.imports import analysis, apply
from directory.imports import views as import_views
from directory.models import Actor, ImportRun, RunStatus
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser


def partner_csv(tmp_path, rows=300):
    lines = ["Identifiant;Nom;Type;Latitude;Longitude"]
    for n in range(rows):
        lat, lon = 47.5 + (n // 20) * 0.02, 1.5 + (n % 20) * 0.03
        # Decimal commas, as a French spreadsheet writes them.
        lines.append(
            f"B-{n};Ferme n°{n} des Hêtres;Producteur;{lat:.4f};{lon:.4f}".replace(".", ",")
        )
    lines.append("B-X;;Producteur;47,9;1,9")  # rejected: no name
    path = tmp_path / "réseau-bio.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def test_import_from_the_staff_pages_with_a_progress_bar(
    page, live_server, moderator, tmp_path, monkeypatch
):
    # Small slices, so the page has to chain several steps by itself.
    monkeypatch.setattr(import_views, "STEP_SECONDS", 0.001)
    monkeypatch.setattr(analysis, "BATCH", 50)
    monkeypatch.setattr(apply, "BATCH", 50)
    # Every value the progress bar takes, kept across the page's reloads.
    page.add_init_script(
        """
        new MutationObserver(function (changes) {
          changes.forEach(function (change) {
            if (change.target.id !== "run-progress") return;
            var seen = JSON.parse(sessionStorage.getItem("seen") || "[]");
            seen.push([change.target.value, change.target.max]);
            sessionStorage.setItem("seen", JSON.stringify(seen));
          });
        }).observe(document, { attributes: true, subtree: true, attributeFilter: ["value"] });
        """
    )
    sign_in(page, live_server, moderator, "/staff/imports/")

    page.set_input_files("#id_file", str(partner_csv(tmp_path)))
    page.fill("#id_name", "Réseau bio du Loiret")
    page.fill("#id_licence", "ODbL")
    page.click("text=Déposer et lire les colonnes")
    page.wait_for_url("**/staff/imports/*/")
    assert page.locator("#id_col_1").input_value() == "name"
    assert page.locator("#id_col_3").input_value() == "latitude"
    page.click("text=Analyser le fichier")

    # The progress bar moves on its own, then the report replaces it.
    page.wait_for_selector("text=Ce que l'import fera", timeout=60_000)
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('seen') || '[]')")
    # It went through intermediate values, by batches of 50, up to the 301 lines.
    assert [value for value, _max in seen][:3] == [50, 100, 150]
    assert seen[-1] == [301, 301]
    page.evaluate("sessionStorage.removeItem('seen')")
    counts = page.locator(".import-counts").inner_text()
    assert "À créer : 300" in counts and "Rejetée : 1" in counts
    assert Actor.objects.count() == 0

    page.click("text=Confirmer l'import")
    page.wait_for_selector("text=Annuler cet import", timeout=60_000)
    run = ImportRun.objects.get()
    assert run.status == RunStatus.DONE
    assert Actor.objects.filter(import_source=run.source).count() == 300
    assert page.locator("#run-status").inner_text() == "Importée"
    assert not page.console_errors and not page.external_requests
