"""The build's machinery, beneath the course package: it uses ``helpers``, never the reverse.

From a parameter file to a results file:
``settings`` (paths and environment, a leaf) and ``files`` (atomic writes); ``names`` (run names:
the one home of their rules, which the Makefile asks), ``runfiles`` (parameter files and the
notebooks' parameters cells), ``specs`` and ``params`` (what each notebook takes, validated),
``resolve`` (the Makefile's stamps step), ``provenance`` (digests of a run's inputs),
``fits`` and ``engine`` (fits as Dask tasks), ``stacks`` and ``stacked`` (which linear fits train together, and the trainer that runs them as one array program; the fit key digests it with the course package), ``cache`` (the fit cache), ``cluster`` (where fits
run), ``progress`` and ``monitor`` (what a person sees while they run), ``plan`` (every fit a build will
ask for), ``estimate`` (what remains of it) and ``replay`` (a recorded build replayed through it), ``results`` (records
tied to their inputs), ``published`` and ``tables`` (the reports' numbers, as text),
``experiment`` (what a notebook calls). The search of `make best`: ``space``, ``search``,
``trials``, ``allocate`` (the budget split across classes), ``best``, ``ceiling`` (how far a logistic class
 can go on its test set: a feasibility check, never a result). Around the build: ``fetch`` (`make data`), ``bench``, ``speedbench`` and ``cachebench``
(`make bench`), ``labbench`` (Run All of a changed 04 in a tree's own kernel, timed), ``lab`` (JupyterLab saves), ``execute`` (papermill, a kernel that did not start started again),
``compare_builds`` (two builds' results, number for number).
"""
