"""Creates, migrates and seeds the knowledge store."""

from __future__ import annotations

from collections.abc import Callable

from core.db import session_scope
from core.settings import get_settings
from database import migrate
from knowledge.centres.service import seed_demo_centres
from knowledge.seed.loader import SEED_DIR, seed_procedures
from knowledge.units.loader import load_units
from servicedesk.dossiers.seed import seed_demo_dossiers


def prepare_database(log: Callable[[str], object] = print) -> None:
    migrate.upgrade()
    with session_scope() as session:
        units = load_units(session)
        report = seed_procedures(session)
        demo = get_settings().seeds_demo_data
        if demo:
            seed_demo_centres(session, SEED_DIR / "centres.yaml")
            seed_demo_dossiers(session)
    log(
        f"administrative units: {units.current_provinces} provinces, {units.current_communes} communes, "
        f"{units.former_communes} former communes ({units.inserted} rows added, {units.updated} updated)"
    )
    log(f"procedures: {len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged")
    if not demo:
        log("demo centres and dossiers not seeded (TTHC_SEED_DEMO_DATA; enter the real centres at /staff/centres)")
