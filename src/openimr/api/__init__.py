"""The REST API (FastAPI) over :class:`openimr.service.Workflow`.

:mod:`~openimr.api.app` is the app factory (:func:`~openimr.api.app.create_app`);
:mod:`~openimr.api.context` the per-request unit of work and the draft jobs;
:mod:`~openimr.api.deps` the key, context and path dependencies and the uploads;
:mod:`~openimr.api.errors` the error shape and handlers; :mod:`~openimr.api.middleware` the
body limit and security headers. The routes, one router per group: ``health``, ``cases``,
``workflow``, ``review``, ``letters``, ``closing``, ``oversight``, ``reviewers``, ``keys``.
"""
