"""The report: every derivation derived, verified, typeset and plotted into one folder.

* :mod:`~rnnsym.report.build` -- :func:`build_report` and its sections;
* :mod:`~rnnsym.report.figures` -- the shared plotting machinery;
* :mod:`~rnnsym.report.command` -- the ``rnnsym report`` sub-command.
"""

from rnnsym.report.build import REPORT_EXAMPLES as REPORT_EXAMPLES
from rnnsym.report.build import DEFAULT_OUT as DEFAULT_OUT
from rnnsym.report.build import PDF_HINT as PDF_HINT
from rnnsym.report.build import Section as Section
from rnnsym.report.build import Report as Report
from rnnsym.report.build import Progress as Progress
from rnnsym.report.build import build_report as build_report
from rnnsym.report.build import build_section as build_section
from rnnsym.report.build import default_jobs as default_jobs
from rnnsym.report.figures import FIGURES as FIGURES
from rnnsym.report.figures import RenderedFigure as RenderedFigure
from rnnsym.report.figures import figure_names as figure_names
from rnnsym.report.figures import plotting_available as plotting_available
from rnnsym.report.figures import render_figure as render_figure
from rnnsym.report.command import add_report_command as add_report_command

__all__ = [
    "REPORT_EXAMPLES", "DEFAULT_OUT", "PDF_HINT", "Section", "Report", "Progress",
    "build_report", "build_section", "default_jobs", "FIGURES", "RenderedFigure", "figure_names",
    "plotting_available", "render_figure", "add_report_command",
]
