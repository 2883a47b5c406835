"""Partner list imports (docs/imports.md): read a file, map its columns, analyse it (the dry
run), apply it when staff confirm, roll it back if needed."""
