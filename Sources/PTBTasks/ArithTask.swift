import Foundation
import PTBCore

/// `arith`: a synthetic, seedable arithmetic word-problem benchmark shipped with ptb, so a whole
/// run works on any machine with no downloads. The fixed test split uses names that the
/// train-style generator (`arith_generator.py`, given to the agent) never uses, so no training
/// question can equal a test question.
public struct ArithTask: EvalTask {
    public let id = "arith"
    public let benchmarkName = "Arith (synthetic arithmetic word problems)"
    public let defaults = TaskDefaults(limit: 50, maxTokens: 32, maxConnections: 8, gpuMemoryUtilization: 0.3,
                                       retryMaxTokens: [24, 16], maxModelLen: 256)
    public let inspectNote = false
    public let scoring = ScoringMode.pure
    public let matchesNumericAnswer = true
    public static let testSize = 200

    public init() {}

    static let female = ["Mia", "Ava", "Zoe", "Nora"]
    static let male = ["Noah", "Liam", "Omar", "Leo"]
    static let items = ["apples", "marbles", "books", "coins", "stickers", "pencils"]
    static let addTemplates = [
        "{name} has {a} {item}. {pron} gets {b} more. How many {item} does {name} have now?",
        "There are {a} {item} in {name}'s box. {name} puts in {b} more. How many {item} are in the box?",
        "{name} asks: what is {a} plus {b}?",
    ]
    static let subTemplates = [
        "{name} has {a} {item}. {pron} gives away {b}. How many {item} does {name} have left?",
        "{name} asks: what is {a} minus {b}?",
    ]

    /// The installation's test split: its seed is made once per `$PTB_HOME` (`secrets/arith-test-seed`,
    /// a file the agent's sandbox never shows), so neither the generator's source nor the ptb
    /// binary can regenerate it.
    public static func testSplit(home: PTBHome) throws -> [Sample] {
        testSplit(seed: try testSeed(home: home))
    }

    public static func testSeed(home: PTBHome) throws -> UInt64 {
        try InstallationSecret.value(named: "arith-test-seed", home: home)
    }

    public static func testSplit(seed: UInt64) -> [Sample] {
        var rng = SplitMix64(seed: seed)
        var seen = Set<String>()
        var out: [Sample] = []
        while out.count < testSize {
            let add = rng.next() % 2 == 0
            let tpl = add ? addTemplates[Int(rng.next() % 3)] : subTemplates[Int(rng.next() % 2)]
            let isFemale = rng.next() % 2 == 0
            let name = (isFemale ? female : male)[Int(rng.next() % 4)]
            let item = items[Int(rng.next() % UInt64(items.count))]
            let a = Int(rng.next() % 10)
            let b = add ? Int(rng.next() % 10) : Int(rng.next() % UInt64(a + 1))
            let q = tpl.replacingOccurrences(of: "{name}", with: name)
                .replacingOccurrences(of: "{pron}", with: isFemale ? "She" : "He")
                .replacingOccurrences(of: "{item}", with: item)
                .replacingOccurrences(of: "{a}", with: String(a))
                .replacingOccurrences(of: "{b}", with: String(b))
            guard seen.insert(q).inserted else { continue }
            out.append(Sample(id: String(out.count + 1), messages: [ChatMessage(role: "user", content: q)],
                              target: String(add ? a + b : a - b)))
        }
        return out
    }

    public func samples(home: PTBHome) throws -> [Sample] { try Self.testSplit(home: home) }

    // MARK: dev split

    /// The dev split is what the agent's own generator makes: items 1–200 of
    /// `python arith_generator.py --seed 20250101`. The generator uses only the training names,
    /// so no dev question can equal a test question.
    public static let devSeed: UInt64 = 20_250_101
    public static let devSize = 200
    static let trainFemale = ["Emma", "Sofia", "Lena", "Aisha"]
    static let trainMale = ["Lucas", "Ethan", "Yusuf", "Mateo"]

    public var devSplitNote: String {
        "Items 1–\(Self.devSize) of the train generator (`python arith_generator.py --seed \(Self.devSeed)`): training names only, so never a test question."
    }

    public func devSamples(home: PTBHome) throws -> [Sample]? { Self.trainGenerator(count: Self.devSize, seed: Self.devSeed) }

    /// `arith_generator.generate(count, seed)`, draw for draw (CPython's Mersenne Twister).
    public static func trainGenerator(count: Int, seed: UInt64) -> [Sample] {
        var rng = PythonRandom(seed: seed)
        return (0..<count).map { i in
            let template: String, a: Int, b: Int, answer: Int
            if rng.random() < 0.5 {
                template = rng.choice(addTemplates)
                a = rng.randint(0, 9)
                b = rng.randint(0, 9)
                answer = a + b
            } else {
                template = rng.choice(subTemplates)
                a = rng.randint(0, 9)
                b = rng.randint(0, a)
                answer = a - b
            }
            let (name, pron) = rng.random() < 0.5 ? (rng.choice(trainFemale), "She") : (rng.choice(trainMale), "He")
            let item = rng.choice(items)
            let q = template.replacingOccurrences(of: "{name}", with: name)
                .replacingOccurrences(of: "{pron}", with: pron)
                .replacingOccurrences(of: "{item}", with: item)
                .replacingOccurrences(of: "{a}", with: String(a))
                .replacingOccurrences(of: "{b}", with: String(b))
            return Sample(id: "dev-\(i + 1)", messages: [ChatMessage(role: "user", content: q)], target: String(answer))
        }
    }

    public func score(_ sample: Sample, completion: String) -> Score {
        let (answer, correct) = NumericMatch.match(completion: completion, target: sample.target)
        return Score(value: correct ? 1 : 0, correct: correct, answer: answer)
    }

    public func contextFiles() throws -> [String: String] {
        guard let url = Bundle.module.url(forResource: "arith_generator", withExtension: "py", subdirectory: "Resources") else {
            throw PTBError.io("arith_generator.py is missing from ptb's resources; rebuild ptb.")
        }
        return ["arith_generator.py": try String(contentsOf: url, encoding: .utf8)]
    }
}
