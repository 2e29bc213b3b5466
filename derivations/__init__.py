"""The worked results of rnnsym, one module per result.

Installed as ``rnnsym.derivations``; each module uses only rnnsym's public
API and reads as a worked solution.  Each defines ``INFO`` (a
:class:`rnnsym.registry.DerivationInfo`), ``derive(**options)``, ``verify``
and ``figure(d, fig)`` (the report's figure); the registry finds them by name
and checks ``INFO`` (see :mod:`rnnsym.registry`).  Modules whose name starts
with an underscore are helpers, not derivations.
"""
