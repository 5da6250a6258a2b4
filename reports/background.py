"""Moved to :mod:`psm_portal.background` (every app builds background documents). This module
stays so that tasks queued before the move (their path is stored with them) still run."""

from psm_portal.background import build_document  # noqa: F401
