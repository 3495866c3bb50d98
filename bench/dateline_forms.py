"""Dateline forms read by ``rag.datelines.parse_dateline``: a probe of agency orders.

    PYTHONPATH=. python bench/dateline_forms.py [-v]

Written by the roles4 branch from agency habits (Italian and English wires), not from the
wire dev set: each line is a dateline and the (date, place, outlet) it should give. Prints
how many are read right; ``-v`` lists the others. The text after each dash is filler.
"""

from __future__ import annotations

import sys

from rag.datelines import parse_dateline

FORMS: list[tuple[str, str, str, str]] = [
    ("AGI - Roma, 3 marzo - Il prefetto", "", "Roma", "AGI"),
    ("AGI - Palermo, 7 mar. 2026 - Il prefetto", "2026-03-07", "Palermo", "AGI"),
    ("ANSA - BARI, 2 FEB - Il sindaco", "", "Bari", "ANSA"),
    ("LaPresse – Milano, 5 maggio 2026 – La giunta", "2026-05-05", "Milano", "LaPresse"),
    ("March 3, 2026 LONDON — The council", "2026-03-03", "London", ""),
    ("March 3, 2026 LONDON (Reuters) — The council", "2026-03-03", "London", "Reuters"),
    ("3 March 2026, LONDON (PA) - The council", "2026-03-03", "London", "PA"),
    ("3 March 2026, HOLTBY - The council", "2026-03-03", "Holtby", ""),
    ("Tuesday, 3 March 2026, LONDON (Reuters) - The council", "2026-03-03", "London", "Reuters"),
    ("Roma, 3 marzo – (Adnkronos) La giunta", "", "Roma", "Adnkronos"),
    ("Roma, 3 marzo 2026 – (Adnkronos) – La giunta", "2026-03-03", "Roma", "Adnkronos"),
    ("ROMA – (Adnkronos) – La giunta", "", "Roma", "Adnkronos"),
    ("ROMA, 3 marzo (Adnkronos/Labitalia) - La giunta", "", "Roma", "Adnkronos"),
    ("(ANSA-AFP) - PARIGI, 3 MAR - Il sindaco", "", "Parigi", "ANSA"),
    ("(AGI/Reuters) - Berlino, 3 mar. - Il sindaco", "", "Berlino", "AGI"),
    ("PARIGI, 3 MAR (ANSA-AFP) - Il sindaco", "", "Parigi", "ANSA"),
    ("LONDON, Tuesday (Reuters) - The council", "", "London", "Reuters"),
    ("Roma, 3 marzo 2026, ore 10:30 (ITALPRESS) - La giunta", "2026-03-03", "Roma", "Italpress"),
    ("ROMA, 03/03/2026 (ITALPRESS) - La giunta", "2026-03-03", "Roma", "Italpress"),
    ("Published: March 3, 2026\nLONDON (Reuters) - The council", "2026-03-03", "London", "Reuters"),
    ("Pubblicato il 3 marzo 2026\nROMA (ITALPRESS) - La giunta", "2026-03-03", "Roma", "Italpress"),
    ("LONDON — March 3, 2026 — The council", "2026-03-03", "London", ""),
    ("(ANSA) ROMA, 3 MAR - Il sindaco", "", "Roma", "ANSA"),
    ("ROMA, 3 MAR - Il sindaco", "", "Roma", ""),
    ("Roma, 3 marzo (AGI) - Il sindaco", "", "Roma", "AGI"),
    ("NEW YORK, March 3 (Reuters) - The council", "", "New York", "Reuters"),
    (
        "Bruxelles, 3 marzo 2026 - (askanews) - La Commissione",
        "2026-03-03",
        "Bruxelles",
        "askanews",
    ),
    ("ROMA (ITALPRESS) – 3 marzo 2026 – La giunta", "2026-03-03", "Roma", "Italpress"),
    ("3 marzo 2026 ROMA (ITALPRESS) – La giunta", "2026-03-03", "Roma", "Italpress"),
]


def main() -> None:
    right = 0
    for line, date, place, source in FORMS:
        dl = parse_dateline(line)
        got = (dl.published_at, dl.place, dl.source) if dl else None
        right += got == (date, place, source)
        if got != (date, place, source) and "-v" in sys.argv:
            print(f"  {line[:60]!r}: got {got}, want {(date, place, source)}")
    print(f"{right} of {len(FORMS)} dateline forms read right")


if __name__ == "__main__":
    main()
