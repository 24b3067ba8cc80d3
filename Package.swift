// swift-tools-version:6.0
import PackageDescription

// Optional CPU tuning, off by default so that the package builds anywhere and can be a dependency
// (SwiftPM refuses unsafe flags in dependencies). `QUIVER_TARGET_CPU=haswell swift build -c release`
// lets the SIMD kernels use AVX2/FMA/POPCNT; `make bench` sets it. The kernels are `@inlinable`, so
// the flag goes on every target that calls them.
let cpuTuning: [SwiftSetting] = Context.environment["QUIVER_TARGET_CPU"].map {
  [.unsafeFlags(["-target-cpu", $0])]
} ?? []

let package = Package(
  name: "Quiver",
  products: [
    .library(name: "Quiver", targets: ["Quiver"]),
    .library(name: "QuiverKernels", targets: ["QuiverKernels"]),
    // The C ABI (include/quiver.h) as a shared library, libQuiverC.so: what the Python package loads.
    .library(name: "QuiverC", type: .dynamic, targets: ["QuiverC"]),
    .executable(name: "quiver", targets: ["quiver"]),
    .executable(name: "quiver-bench", targets: ["quiver-bench"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // liblmdb from Debian (`liblmdb-dev`), found through pkg-config `lmdb`.
    .systemLibrary(
      name: "CLMDB",
      pkgConfig: "lmdb",
      providers: [.apt(["liblmdb-dev"])]
    ),
    // libxxhash from Debian (`libxxhash-dev`): XXH3 checksums and content hashes.
    .systemLibrary(
      name: "CXXHash",
      pkgConfig: "libxxhash",
      providers: [.apt(["libxxhash-dev"])]
    ),
    // A small C++ shim with `extern "C"` entry points over the system libsentencepiece.
    .target(
      name: "CSentencePiece",
      cxxSettings: [.headerSearchPath("include")],
      linkerSettings: [.linkedLibrary("sentencepiece")]
    ),
    // SIMD distance kernels and their scalar references; no dependencies.
    // AVX2 kernels chosen at run time (a `target` attribute, no build flag): what a portable
    // build's graph walk uses on a CPU that has AVX2.
    .target(name: "CKernels"),
    .target(name: "QuiverKernels", dependencies: ["CKernels"], swiftSettings: cpuTuning),
    // The library: tokenizer, LMDB layer, model, index, store, cache.
    .target(name: "CPrefetch"),
    .target(name: "Quiver", dependencies: ["CLMDB", "CSentencePiece", "CXXHash", "CPrefetch", "QuiverKernels"], swiftSettings: cpuTuning),
    // The C ABI: the header, the thread-local error message (C), and the entry points (Swift).
    .target(name: "QuiverABI"),
    .target(name: "QuiverC", dependencies: ["Quiver", "QuiverABI"], swiftSettings: cpuTuning),
    // Allocation counting (interposes malloc): linked into the benchmarks and the tests only.
    .target(name: "CAllocationCounter"),
    // The command-line tool; it links no malloc interposer.
    .executableTarget(
      name: "quiver",
      dependencies: [
        "Quiver", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: cpuTuning
    ),
    // The benchmarks, `quiver-bench embed|store|ann|cache|kernels`.
    .executableTarget(
      name: "quiver-bench",
      dependencies: [
        "Quiver", "QuiverKernels", "CAllocationCounter",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: cpuTuning
    ),
    // Fuzz harnesses (Tests/Fuzz/README.md): built with -sanitize=fuzzer -DQUIVER_FUZZ for
    // libFuzzer; otherwise a replayer that runs saved inputs through the same harnesses.
    .executableTarget(name: "quiver-fuzz", dependencies: ["Quiver"]),
    .testTarget(name: "QuiverKernelsTests", dependencies: ["QuiverKernels"]),
    .testTarget(name: "QuiverTests", dependencies: ["Quiver", "CAllocationCounter"]),
  ],
  cxxLanguageStandard: .cxx17
)
