"""helpers: the numpy code behind the MNIST course-report workbook.

Small modules, one concept each (the README has a table of the public functions):
``idx`` file format, ``fetch`` verified data cache, ``data`` subsets/splits/encodings,
``activations`` and ``losses`` (stable), ``models`` (one Network type for logistic,
softmax and multi-layer models), ``optim`` update rules and schedule, ``config`` the one
validated Config, ``train`` the one ``fit``, ``gradcheck``, ``plots``, ``bench``.
"""
