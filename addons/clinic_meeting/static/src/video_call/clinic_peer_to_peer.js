import { PeerToPeer, STREAM_TYPE } from "@mail/discuss/call/common/peer_to_peer";

/** Discuss's order of the transceivers of a peer connection. */
const TRANSCEIVER_TYPES = [STREAM_TYPE.AUDIO, STREAM_TYPE.CAMERA, STREAM_TYPE.SCREEN];

/**
 * Discuss's peer-to-peer network, with a faster first connection.
 *
 * Discuss's first offer carries only the data channel: the media lines come
 * in a second negotiation, started by the answering side, which costs a
 * second signalling round trip over the bus before the first frame. Here the
 * side that calls puts the audio and camera transceivers (in Discuss's
 * order) in its first offer, with whatever tracks it already has, so media
 * flows after a single exchange. The other side answers with Discuss's own
 * code, and the protocol stays Discuss's: a stock Discuss client in the same
 * call still connects.
 */
export class ClinicPeerToPeer extends PeerToPeer {
    /** @override */
    async addPeer(id, options = {}) {
        const existing = this.peers.get(id);
        if (existing) {
            return existing;
        }
        const peer = this._createPeer(id, options);
        for (const type of TRANSCEIVER_TYPES) {
            const track = this._tracks[type];
            peer.connection.addTransceiver(track || (type === STREAM_TYPE.AUDIO ? "audio" : "video"), {
                // Send even before the camera is ready: a track added later
                // then replaces nothing and needs no new negotiation.
                direction: type === STREAM_TYPE.SCREEN ? "recvonly" : "sendrecv",
            });
        }
        // An offer can go unanswered (the other page was just reloading):
        // Discuss's recovery offers again if nothing connected by then.
        this._recover(id, "offer not answered yet");
        await peer.ready;
        return peer;
    }
}
