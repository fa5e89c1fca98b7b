"""Every string of every clinic module is translated into French, Korean and
Spanish, and each module's .pot is in step with its code.

The terms are exported from the test database the way ``odoo i18n export``
does, so a string added to a template, a field or ``env._()`` without its
translations fails here: a patient never meets an English sentence on a
French, Korean or Spanish page.
"""

import io
import re
from pathlib import Path

import polib
import pytest

import odoo
from odoo import api
from odoo.modules.registry import Registry
from odoo.tools.translate import trans_export

ADDONS = Path(__file__).resolve().parent.parent / "addons"
MODULES = sorted(p.parent.name for p in ADDONS.glob("clinic_*/__manifest__.py"))
LANGS = ("fr", "ko", "es")
# Placeholders and markup that a translation must keep as they are.
KEPT = re.compile(r"%\([a-z_]+\)[sdr]|%[sd]|\{\{.*?\}\}|<[^>]+>")


@pytest.fixture(scope="module")
def exported():
    """msgid -> entry of each module, as exported from the database now."""
    registry = Registry(odoo.tools.config["db_name"][0])
    terms = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        installed = set(
            env["ir.module.module"].search([("state", "=", "installed")]).mapped("name")
        )
        for module in MODULES:
            if module not in installed:
                continue
            buffer = io.BytesIO()
            trans_export(None, [module], buffer, "po", env)
            terms[module] = {e.msgid: e for e in polib.pofile(buffer.getvalue().decode())}
    return terms


@pytest.mark.parametrize("module", MODULES)
def test_pot_in_step_with_code(exported, module):
    """The .pot lists exactly the strings of the module's code."""
    if module not in exported:
        pytest.skip(f"{module} is not installed")
    pot = polib.pofile(str(ADDONS / module / "i18n" / f"{module}.pot"))
    in_pot = {entry.msgid for entry in pot}
    missing = sorted(set(exported[module]) - in_pot)
    stale = sorted(in_pot - set(exported[module]))
    assert not missing and not stale, (
        f"{module}.pot is out of date (regenerate it with `odoo i18n export`): "
        f"{len(missing)} new strings {missing[:5]}, {len(stale)} gone {stale[:5]}"
    )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("module", MODULES)
def test_every_string_translated(exported, module, lang):
    """Each string of the module has a checked translation in ``lang``."""
    if module not in exported:
        pytest.skip(f"{module} is not installed")
    path = ADDONS / module / "i18n" / f"{lang}.po"
    assert path.exists(), f"{module} has no {lang}.po"
    po = {entry.msgid: entry for entry in polib.pofile(str(path))}
    untranslated, broken = [], []
    for msgid in exported[module]:
        entry = po.get(msgid)
        if not entry or not entry.msgstr.strip() or "fuzzy" in entry.flags:
            untranslated.append(msgid)
        elif sorted(KEPT.findall(msgid)) != sorted(KEPT.findall(entry.msgstr)):
            broken.append(msgid)
    assert not untranslated, (
        f"{len(untranslated)} strings of {module} lack a {lang} translation: {untranslated[:5]}"
    )
    assert not broken, (
        f"{len(broken)} {lang} translations of {module} lose a placeholder or a tag: {broken[:5]}"
    )
