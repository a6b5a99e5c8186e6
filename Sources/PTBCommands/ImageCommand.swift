import ArgumentParser
import Foundation
import PTBCore
import PTBProcess
import PTBSandbox

struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Build ptb's container images (containers/).", subcommands: [Build.self])

    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wrap `podman build` / `apptainer build` of containers/Containerfile or containers/ptb.def.",
            discussion: """
                Versions come from containers/ptb.lock (base image, Swift image, Python pins, CLI agents); ptb is \
                built inside. The build pulls its base images from a registry: it cannot run on a machine without \
                registry access (use --dry-run to see the command).

                Examples:
                  ptb image build --runtime podman
                  ptb image build --runtime apptainer --kind eval --dry-run
                """)

        @OptionGroup var homeOptions: HomeOptions
        @Option(help: ArgumentHelp(ImageBuild.runtimeNames + ".")) var runtime: SandboxKind
        @Option(help: "agent (training libraries + CLI agents) or eval (the evaluation engine only).") var kind: ImageKind = .agent
        @Option(help: "The ptb checkout to build from (default: the current directory).") var repo: String?
        @Option(help: "Base image (default: BASE_IMAGE of containers/ptb.lock).") var baseImage: String?
        @Option(help: "Image name (podman, default localhost/ptb-KIND:latest) or .sif path (apptainer, default $PTB_HOME/containers/ptb[-eval].sif).")
        var output: String?
        @Flag(help: "Print the build command instead of running it.") var dryRun = false

        func run() async throws {
            try await reporting {
                let repo = URL(fileURLWithPath: repo ?? FileManager.default.currentDirectoryPath).standardizedFileURL
                let build = try ImageBuild(runtime: runtime, kind: kind, repo: repo, lock: try ContainerLock.load(repo: repo),
                                           home: homeOptions.ptbHome, baseImage: baseImage, target: output)
                let cmd = build.command
                if dryRun {
                    print("(cd \(shellQuote(repo.path)) && \(cmd.display))")
                    return
                }
                guard SandboxSupport.findExecutable(cmd.executable) != nil else {
                    throw PTBError.sandbox("\(cmd.executable) is not installed; see README (Containers) or use --dry-run.")
                }
                try build.prepare()
                Console.err("[image] \(cmd.display)")
                let child = try await ProcessRunner().start(cmd)
                for await line in child.lines { print(line) }
                let t = await child.wait()
                guard t.succeeded else { throw PTBError.sandbox("the image build failed (\(t)); its output is above.") }
                print("built \(build.target)")
            }
        }
    }
}

extension ImageKind: ExpressibleByArgument {}
