"""Browser view of a running ChurnModel (Solara): ``churnsim viz`` or ``solara run``.

The UI stays out of the model: this package imports :mod:`sim`, never the reverse.
"""
