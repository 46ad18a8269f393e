import Foundation

/// One benchmark result line.
struct BenchLine {
    var fields: [(String, String)] = []

    init(_ bench: String) { fields.append(("bench", "\"\(bench)\"")) }

    func with(_ key: String, _ value: Int) -> BenchLine { var c = self; c.fields.append((key, String(value))); return c }
    func with(_ key: String, _ value: Double) -> BenchLine { var c = self; c.fields.append((key, String(format: "%.1f", value))); return c }

    func withText(_ key: String, _ value: String) -> BenchLine { var c = self; c.fields.append((key, "\"\(value)\"")); return c }

    func print() {
        let line = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        Swift.print(line)
        fflush(nil)
    }
}

/// Percentile of sorted nanosecond samples, in microseconds.
func percentileMicros(_ sorted: [UInt64], _ p: Double) -> Int {
    guard !sorted.isEmpty else { return 0 }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
    return Int(sorted[max(index, 0)] / 1_000)
}

/// Resident memory of this process, in MiB.
func residentMegabytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1_024
}

func nowNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
