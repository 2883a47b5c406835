"""SQL expressions the ORM lacks on one of our two backends."""

from django.db.models import Expression, TextField


class RelatedSlugs(Expression):
    """The slugs of a many-to-many relation of each row, in the reference list's order, as one
    text column ("vegetables fruit"), built by the database.

    A page of search results then reads its categories in the same statement as its rows
    instead of a second query. PostgreSQL uses ``string_agg`` and SQLite ``group_concat`` over
    an ordered subquery (slugs never contain spaces).
    """

    output_field = TextField()

    def __init__(self, model, relation: str, outer: str | None = None):
        super().__init__()
        # ``outer``: the SQL of the owning row's key when it is not the query's own table
        # (a column of a common table expression, for the ranking's page).
        self.model, self.relation, self.outer = model, relation, outer

    def as_sql(self, compiler, connection):
        field = self.model._meta.get_field(self.relation)
        through = field.remote_field.through._meta
        target = field.related_model._meta
        own = field.m2m_column_name()
        other = field.m2m_reverse_name()
        quote = connection.ops.quote_name
        outer = (
            self.outer
            or f"{compiler.quote_name_unless_alias(compiler.query.get_initial_alias())}.{quote(self.model._meta.pk.column)}"
        )
        ordering = ", ".join(f"r.{quote(name)}" for name in target.ordering)
        rows = (
            f"FROM {quote(through.db_table)} t "
            f"JOIN {quote(target.db_table)} r ON r.{quote(target.pk.column)} = t.{quote(other)} "
            f"WHERE t.{quote(own)} = {outer}"
        )
        slug = f"r.{quote('slug')}"
        if connection.vendor == "postgresql":
            return f"(SELECT string_agg({slug}, ' ' ORDER BY {ordering}) {rows})", []  # noqa: S608 (identifiers from model meta)
        # SQLite's group_concat keeps the order of an ordered subquery.
        sql = f"(SELECT group_concat(s, ' ') FROM (SELECT {slug} AS s {rows} ORDER BY {ordering}))"  # noqa: S608 (identifiers from model meta)
        return sql, []


class RelatedKeys(RelatedSlugs):
    """The keys of a many-to-many relation of each row, in ascending order, as one text
    column ("3 5 12"): read from the link table alone, where the slugs join the related
    table and sort by its order. What Actor.category_keys stores; the search maps the keys
    to slugs (directory.category_map)."""

    def as_sql(self, compiler, connection):
        field = self.model._meta.get_field(self.relation)
        through = field.remote_field.through._meta
        quote = connection.ops.quote_name
        outer = self.outer or (
            f"{compiler.quote_name_unless_alias(compiler.query.get_initial_alias())}."
            f"{quote(self.model._meta.pk.column)}"
        )
        other = f"t.{quote(field.m2m_reverse_name())}"
        rows = (
            f"FROM {quote(through.db_table)} t WHERE t.{quote(field.m2m_column_name())} = {outer}"
        )
        if connection.vendor == "postgresql":
            return f"(SELECT string_agg(CAST({other} AS text), ' ' ORDER BY {other}) {rows})", []  # noqa: S608 (identifiers from model meta)
        # SQLite's group_concat keeps the order of an ordered subquery.
        sql = f"(SELECT group_concat(k, ' ') FROM (SELECT CAST({other} AS text) AS k {rows} ORDER BY {other}))"  # noqa: S608 (identifiers from model meta)
        return sql, []
