"""The seed's port map (ebs-contract.md §1), defined once.

The seed's CI scripts hard-code these; every service here defaults to them and
lets a flag or environment variable override them.
"""

from typing import Final

EBS: Final = 8080
MOCK_EVENTSUB: Final = 9051
MOCK_EXTENSION_JWT: Final = 9052
MOCK_HELIX: Final = 9053
SYNTHETIC_DESKTOP: Final = 9054
WOW_SIMULATOR: Final = 5001

BY_SERVICE: Final[dict[str, int]] = {
    "ebs": EBS,
    "eventsub": MOCK_EVENTSUB,
    "jwt": MOCK_EXTENSION_JWT,
    "helix": MOCK_HELIX,
    "desktop": SYNTHETIC_DESKTOP,
    "wow": WOW_SIMULATOR,
}


def offset_table(*offsets: int) -> str:
    """Service, seed port and the port each of ``offsets`` gives (``mgm stack up --help``)."""
    header = ["service", "seed port", *(f"--ports-offset {n}" for n in offsets)]
    rows = [[name, str(seed), *(str(seed + n) for n in offsets)] for name, seed in BY_SERVICE.items()]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )
