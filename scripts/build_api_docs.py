"""Build the API reference (HTML, from the docstrings) with pdoc; any warning is an error.

    python scripts/build_api_docs.py [OUT]      (default: docs/api)

Every public module of rnnsym and of its derivations is documented, in the
numpy docstring format.  ``rnnsym`` loads most of its top-level names lazily
(``rnnsym._LAZY``); they are resolved first, so pdoc finds each one in the
package namespace instead of looking for a submodule of that name.
Exit status 1, with the warnings listed, when pdoc warned about anything.
"""

from __future__ import annotations

import pkgutil
import sys
import warnings
from pathlib import Path

import pdoc
import pdoc.extract
import pdoc.render

import rnnsym
import rnnsym.derivations   # installed from the top-level derivations/ (an editable install maps it)



def modules() -> list[str]:
    """rnnsym and every public module under it (no ``_`` in any part of the name), derivations included."""
    found = ["rnnsym", "rnnsym.derivations"]
    for package in (rnnsym, rnnsym.derivations):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                found.append(info.name)
    return sorted(set(found))


def build(out: Path) -> list[str]:
    """Write the HTML reference to ``out``; returns pdoc's warnings (empty when clean)."""
    for name in rnnsym.__all__:   # resolve the lazy names into the namespace (see the module docstring)
        setattr(rnnsym, name, getattr(rnnsym, name))
    pdoc.render.configure(docformat="numpy", show_source=False,
                          footer_text=f"rnnsym {rnnsym.__version__}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        specs: list[str] = []
        for name in modules():   # a package's spec brings some of its modules along: name the rest
            if name not in pdoc.extract.walk_specs(["rnnsym", *specs]):
                specs.append(name)
        pdoc.pdoc("rnnsym", *[m for m in specs if m != "rnnsym"], output_directory=out)
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/api")
    problems = build(out)
    for line in problems:
        print(line, file=sys.stderr)
    pages = len(list(out.rglob("*.html")))
    print(f"API reference: {pages} pages in {out}/, {len(problems)} warning(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
