"""helpers: the numpy code behind the MNIST course-report workbook.

Modules, one concept each: ``idx`` (file format), ``fetch`` (verified data cache),
``data`` (subsets, splits, encodings). See the README for the public functions.
"""
