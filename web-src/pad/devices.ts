// The camera and microphone: asking for them, choosing among several, and saying in plain words
// why they are not there. The pad works without any of it.

export interface Devices {
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
}

export async function listDevices(): Promise<Devices> {
  if (!navigator.mediaDevices?.enumerateDevices) return { cameras: [], microphones: [] };
  const all = await navigator.mediaDevices.enumerateDevices();
  return {
    cameras: all.filter((d) => d.kind === "videoinput" && d.deviceId !== ""),
    microphones: all.filter((d) => d.kind === "audioinput" && d.deviceId !== ""),
  };
}

/** The camera and microphone chosen (empty: the browser's default), whichever of them exist. */
export async function openDevices(camera: string, microphone: string): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new DeviceProblem("This browser cannot use a camera or microphone here (it needs https).");
  }
  const video: MediaTrackConstraints = {
    width: { ideal: 640 },
    height: { ideal: 480 },
    frameRate: { ideal: 30 },
    ...(camera ? { deviceId: { exact: camera } } : {}),
  };
  const audio: MediaTrackConstraints = microphone ? { deviceId: { exact: microphone } } : {};
  try {
    return await navigator.mediaDevices.getUserMedia({ video, audio });
  } catch (error) {
    const name = error instanceof DOMException ? error.name : "";
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      // one of them may still be there
      for (const constraints of [{ audio }, { video }]) {
        try {
          return await navigator.mediaDevices.getUserMedia(constraints);
        } catch {
          // try the other
        }
      }
    }
    throw new DeviceProblem(explain(name));
  }
}

export class DeviceProblem extends Error {}

export function explain(name: string): string {
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
      return "Camera and microphone are blocked for this page. Allow them in the browser's site settings, then try again; the pad works without them.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No camera or microphone was found. Plug one in and try again, or carry on without audio and video.";
    case "NotReadableError":
    case "AbortError":
      return "The camera or microphone is busy (another program may be using it). Close it and try again.";
    default:
      return "The camera and microphone could not be started. You can carry on without audio and video.";
  }
}

/** Whether a stream is making sound now, ten times a second (the speaking indicator). */
export function watchSpeaking(stream: MediaStream, onChange: (speaking: boolean) => void): () => void {
  if (stream.getAudioTracks().length === 0 || typeof AudioContext === "undefined") return () => {};
  const context = new AudioContext();
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let speaking = false;
  const timer = window.setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) sum += sample * sample;
    const now = Math.sqrt(sum / samples.length) > 0.02;
    if (now !== speaking) {
      speaking = now;
      onChange(now);
    }
  }, 100);
  return () => {
    window.clearInterval(timer);
    void context.close();
  };
}
