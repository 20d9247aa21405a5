#ifndef CB_APP_AVLOG_H
#define CB_APP_AVLOG_H
/* Routes FFmpeg's own messages into our log as debug lines (with -vv): decoders complain
 * about every damaged picture after loss, which is expected and handled. */
void app_avlog_init(void);
#endif
