extension SpaceInfo {
  /// The space as one JSON object — key, model, dimension, metric, element type, rows, live rows —
  /// as `quiver spaces --json` prints it.
  public var json: String {
    "{\"key\":\(JSONText.quoted(key.description)),\"model\":\(JSONText.quoted(key.model)),\"dimension\":\(key.dimension),"
      + "\"metric\":\"\(metric.name)\",\"element\":\"\(elementType.name)\",\"rows\":\(rows),\"live_rows\":\(liveRows)}"
  }
}

extension StoreStats {
  /// The statistics as one JSON object, as `quiver stats --json` prints them and `qv_store_stats`
  /// returns them.
  public var json: String {
    "{\"path\":\(JSONText.quoted(path)),\"format_version\":\(formatVersion),\"created_by\":\(JSONText.quoted(createdBy)),"
      + "\"documents\":\(documents),\"file_bytes\":\(fileBytes),\"map_bytes\":\(mapBytes),"
      + "\"spaces\":[" + spaces.map(\.json).joined(separator: ",") + "]}"
  }
}
