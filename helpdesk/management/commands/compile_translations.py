"""Build the .mo catalogues from the .po files with polib: no GNU gettext needed."""

from __future__ import annotations

from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile every locale/*/LC_MESSAGES/*.po of the project and its apps into .mo files."

    def handle(self, *args, **options) -> None:
        compiled = 0
        app_locales = [Path(config.path) / "locale" for config in apps.get_app_configs()]
        # The project's own apps only: installed packages ship their catalogues compiled.
        locale_dirs = [Path(p) for p in settings.LOCALE_PATHS] + [
            p for p in app_locales if p.is_dir() and "site-packages" not in p.parts
        ]
        for locale_dir in dict.fromkeys(locale_dirs):
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                compiled += 1
        self.stdout.write(f"Compiled {compiled} translation catalogue(s).")
