/// A command that cannot do what was asked for a reason in its input or the store (a missing file,
/// a bad line under `--strict`, a model file that is not here), not in its arguments: printed as
/// one line (`Error: …`) without the usage text a `ValidationError` adds.
struct CommandFailure: Error, CustomStringConvertible {
  let description: String
}
