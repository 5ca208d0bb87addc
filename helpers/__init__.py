"""helpers: the numpy code behind the MNIST course-report workbook.

Small modules, one concept each (the README has a table of the public functions).

The course's code, what a student reads: ``activations`` and ``losses`` (stable), ``models``
(one Network type for logistic, softmax and multi-layer models), ``optim`` update rules and
schedule, ``gradcheck``, ``config`` the one validated Config, ``train`` the one ``fit``, ``data``
subsets/splits/encodings, ``plots`` (one look for every figure), ``tables`` (numbers as text).

The build's machinery: ``idx`` file format and ``fetch`` verified data cache; ``experiment``
(what a notebook calls), ``params`` and ``runs`` (parameter files -> validated parameters),
``provenance`` and ``results`` (records tied to their inputs), ``engine`` (fits as cached Dask
tasks), ``cluster`` (where they run), ``progress`` (bars and the build's status line), ``lab``
(JupyterLab saves), ``published`` and ``reproduction`` (the published numbers, judged),
``report`` (the report's pieces), ``bench`` (`make bench`); `make best`: ``search`` (an Optuna study of
training settings whose trials are engine fits), ``best`` (its notebook's plumbing), ``report_best`` (its
section of the report).
"""
