"""Export a table as CSV or Parquet, streamed in chunks with a fixed Arrow schema.

The schema comes from the model (not from the first chunk), so every engine writes
the same column types: money as decimal(18,2), times as timestamps, ids as text.
"""

from __future__ import annotations

from typing import BinaryIO, Final, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import sqlalchemy as sa

from scorecard.ingest import schema
from scorecard.store import model
from scorecard.store.cells import safe_arrow
from scorecard.store.db import Database

ExportFormat = Literal["csv", "parquet"]
EXPORT_FORMATS: Final[tuple[str, ...]] = ("csv", "parquet")
CHUNK_ROWS: Final = 50_000


class ExportError(Exception):
    """The export cannot run (unknown table or format)."""


def arrow_type(column: sa.Column[object]) -> pa.DataType:
    """The Arrow type of a model column."""
    kind = schema.kind_of(column)
    return {
        "datetime": pa.timestamp("us"),
        "date": pa.date32(),
        "boolean": pa.bool_(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "money": pa.decimal128(18, 2),
        "text": pa.string(),
    }[kind]


def arrow_schema(table: sa.Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c)) for c in table.columns])


def _csv_ready(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Timestamps as 'YYYY-MM-DD HH:MM:SS[.ffffff]' (what spreadsheets read), text that a
    spreadsheet would run as a formula quoted (`cells.safe_arrow`), the rest unchanged."""
    arrays = [
        pc.replace_substring_regex(pc.strftime(col, format="%Y-%m-%d %H:%M:%S"), r"\.0+$", "")
        if pa.types.is_timestamp(col.type)
        else safe_arrow(col)
        for col in batch.columns
    ]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def export_table(db: Database, table_name: str, fmt: str, sink: BinaryIO) -> int:
    """Write every row of `table_name` to `sink` as CSV (with header) or Parquet; returns rows."""
    if table_name not in model.TABLES:
        raise ExportError(f"unknown table {table_name!r}; choose one of {', '.join(model.TABLES)}")
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use csv or parquet")
    table = model.TABLES[table_name]
    schema_ = arrow_schema(table)
    statement = sa.select(table).order_by(*table.primary_key.columns)
    count = 0
    writer: pa_csv.CSVWriter | pq.ParquetWriter
    if fmt == "parquet":
        writer = pq.ParquetWriter(sink, schema_)
    else:
        empty = _csv_ready(pa.RecordBatch.from_pylist([], schema=schema_))
        writer = pa_csv.CSVWriter(sink, empty.schema)
    try:
        with db.engine().connect() as conn:
            result = conn.execution_options(stream_results=True).execute(statement)
            while rows := result.fetchmany(CHUNK_ROWS):
                columns = list(zip(*rows, strict=True))
                batch = pa.RecordBatch.from_arrays(
                    [pa.array(list(values), type=field.type) for values, field in zip(columns, schema_, strict=True)],
                    schema=schema_,
                )
                writer.write_batch(batch if fmt == "parquet" else _csv_ready(batch))
                count += len(rows)
    finally:
        writer.close()
    return count
