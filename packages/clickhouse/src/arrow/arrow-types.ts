/** The slice of an apache-arrow `Data` chunk the sink reads. */
export interface ArrowData {
  readonly length: number;
  readonly offset: number;
  readonly values: unknown;
}

/** The slice of an apache-arrow `Vector` the sink reads. */
export interface ArrowVector {
  readonly length: number;
  readonly type: { readonly typeId: number; readonly unit?: number };
  readonly data: readonly ArrowData[];
  get(index: number): unknown;
}

/**
 * The slice of an apache-arrow `RecordBatch` the sink reads, typed structurally so that the
 * package does not load apache-arrow itself (any apache-arrow 17+ batch fits).
 */
export interface ArrowRecordBatch {
  readonly numRows: number;
  readonly schema: { readonly fields: readonly { readonly name: string }[] };
  getChild(name: string): ArrowVector | null;
}
