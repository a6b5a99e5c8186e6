import Foundation
import PTBCore
import PTBProcess
import PTBSandbox
import Testing

/// `ptb image build`: golden command lines (a real build pulls base images from a registry, which
/// these machines cannot reach; Apptainer does not install here at all).
@Suite struct ImageBuildTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let home = PTBHome(root: URL(fileURLWithPath: "/h/.ptb"))
    let lock = ContainerLock(text: """
        # comment
        BASE_IMAGE=nvidia/cuda:12.9.1-cudnn-devel-ubuntu24.04
        SWIFT_IMAGE=swift:6.3.1-noble
        PIP_EVAL="vllm==0.32.0 torch==2.13.0"
        """)

    @Test func lockParsing() {
        #expect(lock.values["PIP_EVAL"] == "vllm==0.32.0 torch==2.13.0")
        #expect(lock.pins("PIP_EVAL") == ["vllm": "0.32.0", "torch": "2.13.0"])
        #expect(lock.values["# comment"] == nil && lock.values.count == 3)
    }

    @Test func podmanGolden() throws {
        let b = try ImageBuild(runtime: .podman, kind: .agent, repo: URL(fileURLWithPath: "/src/ptb"), lock: lock, home: home)
        #expect(b.command.display == """
            podman build --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 -f containers/Containerfile --target agent \
            --build-arg BASE_IMAGE=nvidia/cuda:12.9.1-cudnn-devel-ubuntu24.04 --build-arg SWIFT_IMAGE=swift:6.3.1-noble \
            -t localhost/ptb-agent:latest .
            """)
        #expect(b.command.workingDirectory?.path == "/src/ptb")
        let e = try ImageBuild(runtime: .podman, kind: .eval, repo: URL(fileURLWithPath: "/src/ptb"), lock: lock, home: home,
                               baseImage: "ubuntu:24.04", target: "registry.local/ptb-eval:7")
        #expect(e.command.display.hasSuffix(
            "--target eval --build-arg BASE_IMAGE=ubuntu:24.04 --build-arg SWIFT_IMAGE=swift:6.3.1-noble -t registry.local/ptb-eval:7 ."))
    }

    @Test func apptainerGolden() throws {
        let b = try ImageBuild(runtime: .apptainer, kind: .agent, repo: URL(fileURLWithPath: "/src/ptb"), lock: lock, home: home)
        #expect(b.command.display == """
            apptainer build --build-arg TARGET=agent --build-arg BASE_IMAGE=nvidia/cuda:12.9.1-cudnn-devel-ubuntu24.04 \
            --build-arg SWIFT_IMAGE=swift:6.3.1-noble /h/.ptb/containers/ptb.sif containers/ptb.def
            """)
        #expect(b.command.workingDirectory?.path == "/src/ptb")
        let e = try ImageBuild(runtime: .apptainer, kind: .eval, repo: URL(fileURLWithPath: "/src/ptb"), lock: lock, home: home)
        #expect(e.target == "/h/.ptb/containers/ptb-eval.sif")
        // The default agent image is where the apptainer sandbox looks without PTB_APPTAINER_IMAGE.
        #expect(ApptainerSandbox.make(SandboxSetup(environment: ["PTB_HOME": "/h/.ptb"])).image == b.target)
        #expect(PodmanSandbox.make(SandboxSetup(environment: [:])).image == ImageBuild.defaultTarget(runtime: .podman, kind: .agent, home: home))
    }

    @Test func badInput() throws {
        #expect { try ImageBuild(runtime: .bwrap, kind: .agent, repo: Self.repo, lock: lock, home: home) } throws: {
            "\($0)" == "images are built for podman or apptainer, not bwrap."
        }
        #expect(throws: PTBError.self) { try ImageBuild(runtime: .podman, kind: .agent, repo: Self.repo, lock: ContainerLock(text: ""), home: home) }
        #expect(throws: PTBError.self) { try ContainerLock.load(repo: URL(fileURLWithPath: "/nonexistent")) }
        // The repository's own lock has what the build needs.
        let real = try ContainerLock.load(repo: Self.repo)
        _ = try ImageBuild(runtime: .podman, kind: .eval, repo: Self.repo, lock: real, home: home)
    }
}
