"""A strategy and its people: the importer (YAML, CSV, XLSX), the bundled example, people and
their chat accounts, who may do what (``permissions``) and the framework's governance rules."""
