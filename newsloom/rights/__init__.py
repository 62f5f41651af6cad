"""Publisher rights: the signals pages carry (``signals``), what public pages may show
(``policy``), removal requests (``takedowns``, ``verify``), their audit trail (``audit``) and
the suppression list that keeps removed pages out (``suppression``)."""
