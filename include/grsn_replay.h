// grsn_replay.h — (being written in this session)
#ifndef GRSN_REPLAY_H
#define GRSN_REPLAY_H
#endif
