"""PostgreSQL keeps a run piece's arrays as they are, without compressing them into its TOAST table.

Pieces live only while their run runs, and each is written once and read once or twice: compressing them
(pglz, about 4:1 on outcome arrays) cost the database about 0.15 s of CPU a full run of the worked example,
on the cores the workers share. Rows stored before keep their form; both read back the same.
"""

from django.db import migrations


def storage(kind: str):
    def alter(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            table = apps.get_model("planner", "RunPart")._meta.db_table
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN arrays SET STORAGE {kind}")

    return alter


class Migration(migrations.Migration):
    dependencies = [("planner", "0006_scenario_origin")]

    operations = [migrations.RunPython(storage("EXTERNAL"), storage("EXTENDED"))]
