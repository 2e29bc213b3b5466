"""The worked results of rnnsym, one module per result.

Installed as ``rnnsym.derivations``; each module uses only rnnsym's public
API and reads as a worked solution.
"""
